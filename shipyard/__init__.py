"""shipyard's pure logic: settings, defaults, arithmetic, the offline plan harness.

Nothing in this package registers a Pulumi resource; components/ does that.
"""
