"""Contracts shared by the Pulumi program (``components``) and the tool (``mlopsctl``), defined once.

Standard library only, and importing neither side: tag keys, wire signatures, credential-key
detection, exit codes, the duration grammar, the plan schema and the configuration error type.
"""
