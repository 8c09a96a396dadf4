"""Pulumi mocks backed by moto: every AWS resource shipyard creates is really created, in moto.

``MotoMocks`` answers ``new_resource`` by making the AWS API call ``pulumi up`` would cause
(through boto3, inside an active ``moto.mock_aws()``), so AWS's own checks run: a subnet outside
its VPC, a malformed IAM policy, a duplicate name or a node group without its cluster fail the
way a deploy would, and afterwards the tests read the account back through boto3. The state it
returns is the inputs plus what AWS assigned, under the same camelCase output names
``EchoMocks`` uses, so components keep working.

Types moto does not emulate (EKS add-ons and access entries, Kubernetes objects, shipyard's
components, providers) fall back to ``EchoMocks`` and are counted in ``MotoMocks.echoed``; they
are never dropped silently.

Layout: ``core`` (the ``@handles`` registry, the error types, the shape helpers), ``base``
(``MotoBase``: the Pulumi entry points, the clients, the helpers services share), then one
module per AWS service, each a ``MotoBase`` subclass of ``@handles`` methods, which
``MotoMocks`` below joins. Adding a service is one entry in ``base.SERVICES``, one module here
and its class among ``MotoMocks``' bases.

Usage::

    with moto.mock_aws():
        mocks = MotoMocks(region="us-east-1", account_id="111111111111")
        plan = run_program("prod", mocks=mocks)
        mocks.client("ec2").describe_vpcs()

Each account id gets its own moto account (through ``sts.assume_role``), so several stacks can
run in one ``mock_aws()`` without seeing each other. Setting ``MOTO_ACCOUNT_ID`` in the
environment overrides that in moto and defeats the isolation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from tests.support.moto.acm import Acm
from tests.support.moto.cloudfront import CloudFront
from tests.support.moto.core import HANDLERS, MotoResourceError, one_rsa_key_per_size
from tests.support.moto.ec2 import Ec2
from tests.support.moto.ecr import Ecr
from tests.support.moto.eks import Eks
from tests.support.moto.elasticache import ElastiCache
from tests.support.moto.events import Events
from tests.support.moto.iam import Iam
from tests.support.moto.kms import Kms
from tests.support.moto.logs import Logs
from tests.support.moto.mq import Mq
from tests.support.moto.rds import Rds
from tests.support.moto.route53 import Route53
from tests.support.moto.s3 import S3
from tests.support.moto.sqs import Sqs
from tests.support.moto.wafv2 import Wafv2

__all__ = ["HANDLERS", "MotoMocks", "MotoResourceError", "echoed_types", "one_rsa_key_per_size"]


class MotoMocks(Ec2, Logs, Kms, Iam, Eks, Ecr, Route53, Acm, S3, CloudFront, Rds, ElastiCache,
                Mq, Sqs, Events, Wafv2):
    """Creates each AWS resource in moto; echoes (and counts) what moto cannot emulate."""


def echoed_types(mocks_list: Iterable[MotoMocks]) -> dict[str, int]:
    """The types (with counts) several MotoMocks echoed instead of creating, sorted."""
    total: Counter[str] = Counter()
    for mocks in mocks_list:
        total.update(mocks.echoed)
    return dict(sorted(total.items()))
