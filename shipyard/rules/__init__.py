"""Pure rules both the settings checks and the components apply: hostnames, stores, CIDR
arithmetic, IAM documents. Nothing here reads config or registers a resource."""
