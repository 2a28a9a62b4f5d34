"""Rules for AWS Verified Access."""
