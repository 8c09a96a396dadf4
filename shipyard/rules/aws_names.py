"""What AWS accepts of the names shipyard derives from ``cluster.name``, and the cluster name
that keeps every one of them acceptable. Pure.

A managed store's identifier is ``<cluster>-<app>-<store>`` lower-cased, cut to the service's
length with a hash (``store_identifier``); the add-ons' and stores' S3 buckets are
named from the prefix ``<cluster>-<purpose>-`` (``components/addons/object_store.py``); the
CDN's origin access control is ``<cluster>-<app>`` (``components/cdn.py``). Each service's rule:
"""

from __future__ import annotations

import hashlib
import re

# Where AWS's global services (CloudFront, Route53) keep what they read or write: CloudFront's
# certificates, web ACLs and log-delivery sources, Route53's query-log groups and DNSSEC keys.
GLOBAL_SERVICES_REGION = "us-east-1"

# The tags shipyard puts on AWS resources and reads back (the plan's estimates, its destroy
# order): whose application a resource is, which store it belongs to, which service account a
# role is for.
APPLICATION_TAG = "shipyard.dev/application"         # value: the application
STORE_TAG = "shipyard.dev/store"                     # value: APP/STORE, or the shared kind
SERVICE_ACCOUNT_TAG = "shipyard.dev/service-account"  # value: NAMESPACE.NAME

# RDS DB instance and DocumentDB cluster identifiers: 1-63 letters, digits and hyphens, a
# letter first, no hyphen last, never two in a row (stored lower-case).
RDS_IDENTIFIER = re.compile(r"^[a-z](-?[a-z0-9])*$")
RDS_IDENTIFIER_MAX = 63
# ElastiCache replication group (and user, user group) ids: the same, at most 40.
ELASTICACHE_ID = RDS_IDENTIFIER
ELASTICACHE_ID_MAX = 40
# Amazon MQ broker names: 1-50 letters, digits, '-' and '_'.
MQ_BROKER_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
MQ_BROKER_NAME_MAX = 50
# S3 bucket names: 3-63 lower-case letters, digits, '.' and '-', a letter or digit at each end
# (shipyard uses no dots: they break virtual-hosted TLS).
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
S3_BUCKET_MAX = 63

# The cluster name every one of those accepts once an application's and a store's names follow
# it: lower-case letters, digits and single hyphens, a letter first (RDS, DocumentDB and
# ElastiCache refuse '_', upper case, a digit first and '--'; S3 refuses '_' and upper case).
# At most 32 characters, so that a derived identifier (ElastiCache's: at most 40) keeps a
# readable part of the application's and store's names before its hash.
CLUSTER_NAME = re.compile(r"^[a-z](-?[a-z0-9])*$")
CLUSTER_NAME_MAX = 32
CLUSTER_NAME_RULE = (f"letters, digits and single hyphens, starting with a letter, "
                     f"at most {CLUSTER_NAME_MAX} characters: the RDS, DocumentDB and "
                     f"ElastiCache identifiers, Amazon MQ broker names and S3 bucket names "
                     f"derived from it accept nothing else")


def cluster_name_problem(name: str) -> str | None:
    """Why AWS would refuse a name derived from ``name``; None when every one is accepted."""
    # the derived identifiers are lower-cased (components/stores/base.py, object_store.py):
    # upper case in the cluster's own name is fine
    if len(name) > CLUSTER_NAME_MAX or not CLUSTER_NAME.match(name.lower()):
        return f"{name!r} is not a usable cluster name ({CLUSTER_NAME_RULE})"
    return None


def accepted(service: str, name: str) -> bool:
    """Whether AWS accepts ``name`` as a ``service`` name (rds, documentdb, elasticache, mq,
    s3): the rules above, for the tests and anyone deriving a new name."""
    pattern, limit = {"rds": (RDS_IDENTIFIER, RDS_IDENTIFIER_MAX),
                      "documentdb": (RDS_IDENTIFIER, RDS_IDENTIFIER_MAX),
                      "elasticache": (ELASTICACHE_ID, ELASTICACHE_ID_MAX),
                      "mq": (MQ_BROKER_NAME, MQ_BROKER_NAME_MAX),
                      "s3": (S3_BUCKET, S3_BUCKET_MAX)}[service]
    low = 3 if service == "s3" else 1
    return low <= len(name) <= limit and bool(pattern.match(name))


def store_identifier(cluster: str, app: str | None, store: str,
                     max_length: int = RDS_IDENTIFIER_MAX) -> str:
    """``<cluster>-<app>-<store>`` (a shared store: ``<cluster>-<kind>``), lower-cased, runs of
    hyphens made one: the AWS identifier of a managed store, at most ``max_length`` (the
    service's limit). A longer one is cut and made unique again by a hash of the whole, so two
    long store names that share a prefix never collapse into one identifier. A kind has no
    hyphen, so no application's store comes to a shared store's identifier."""
    owner = f"{app}-" if app is not None else ""
    name = re.sub("-{2,}", "-", f"{cluster}-{owner}{store}".lower())
    if len(name) <= max_length:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[:max_length - 7].rstrip('-')}-{digest}"
