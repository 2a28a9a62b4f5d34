"""The mlops-platform CrossGuard policy pack and its rules (run by Pulumi and by ``mlopsctl`` offline)."""
