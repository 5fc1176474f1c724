"""Resource type schemas: what each type accepts and how changes to it behave. Pure: no AWS.

Each module declares one type (after CloudFormation's resource schema): its spec model, which
properties force replacement, which attributes AWS assigns, which lists are unordered, and the
cross-resource rules a stack must satisfy. Providers implement the AWS side separately.
"""
