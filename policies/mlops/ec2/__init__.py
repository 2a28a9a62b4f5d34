"""Rules for ec2."""
