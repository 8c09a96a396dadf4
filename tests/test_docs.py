"""The README stays true to the code."""

from offline.docs import readme_block, reference


def test_the_readme_configuration_reference_is_current():
    assert readme_block() == reference(), "run: python -m offline.docs --write"


def test_the_reference_lists_every_leaf_key_with_a_description():
    rows = [line for line in reference().splitlines() if line.startswith("| `shipyard:")]
    assert len(rows) >= 15
    assert all(line.rstrip().rsplit("|", 2)[-2].strip() for line in rows)
