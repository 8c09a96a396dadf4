"""The labels shipyard puts on the Kubernetes objects of its tenants: one vocabulary for the
workloads, their mesh objects and the data stores beside them."""

NAME_LABEL = "app.kubernetes.io/name"
PART_OF_LABEL = "app.kubernetes.io/part-of"
VERSION_LABEL = "app.kubernetes.io/version"
TRACK_LABEL = "shipyard.dev/track"
MANAGED = {"app.kubernetes.io/managed-by": "shipyard"}
