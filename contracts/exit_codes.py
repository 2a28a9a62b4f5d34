"""Exit codes of every ``mlopsctl`` command (and of the scripts around it)."""

EXIT_OK = 0
"""Done; nothing to report."""
EXIT_FINDINGS = 1
"""Done, with findings: a mandatory policy violation, a deploy or connectivity finding, drift, a failure."""
EXIT_USAGE = 2
"""Not done: bad usage, configuration or input/output."""
