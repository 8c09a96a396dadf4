"""``shipyard:registry``: the ECR repositories and their lifecycle."""

from __future__ import annotations

from pydantic import Field, field_validator

from shipyard.config.base import IMAGE, IamArns, Int, Model, Problem, unique


class RegistrySettings(Model):
    images: list[str] = Field(default_factory=list,
                              description="ECR repositories for images beyond the hosted "
                                          "applications' (which get theirs from the catalogs).")
    immutable_tags: bool = Field(True, description="Refuse to overwrite a pushed tag.")
    keep_tagged_images: Int = Field(50, ge=1, le=1000,
                                    description="Tagged images kept per repository.")
    untagged_expiry_days: Int = Field(7, ge=1, le=365,
                                      description="Days before untagged images expire.")
    push_principals: IamArns = Field(
        default_factory=list, description="IAM role ARNs (CI) allowed to push, besides this "
                                          "account's administrators.")

    @field_validator("images")
    @classmethod
    def _images(cls, v: list[str]) -> list[str]:
        for i, image in enumerate(v):
            if not IMAGE.match(image) or len(image) > 256:
                raise Problem(f"[{i}]", image, "not an ECR repository name")
        return unique(v)

    @field_validator("push_principals")
    @classmethod
    def _principals(cls, v: list[str]) -> list[str]:
        return unique(v)
