"""What the tests share: the repository's paths, settings and plan readers, and the moto-backed
Pulumi mocks (``tests.support.moto``). Test modules import from here, never from each other."""
