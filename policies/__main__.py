"""shipyard's policy pack: `pulumi preview --policy-pack policies`.

Only builds the pack (constructing a PolicyPack starts the analyzer's gRPC server, so tests
never import this file: they call the validate functions in shipyard_policies directly)."""

from policy_values import keep_secrets_marked
from pulumi_policy import EnforcementLevel, PolicyPack
from shipyard_policies import ALL

# Secret inputs reach the policies as pulumi_policy.Secret, so no-plaintext-secrets can tell.
keep_secrets_marked()

PolicyPack(name="shipyard", enforcement_level=EnforcementLevel.MANDATORY, policies=ALL)
