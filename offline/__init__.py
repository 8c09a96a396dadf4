"""Tooling for the offline plan (plan.py): the mocked run, manifests, CRD checks, estimates."""
