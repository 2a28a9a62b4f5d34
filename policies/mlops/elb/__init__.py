"""Rules for elb."""
