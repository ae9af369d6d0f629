"""The shared kit: the mechanisms every domain needs, written once.

The kit imports no domain. Domains reach it downward; where the kit needs a domain's
part (who is calling, the audit log, record panels), the domain provides it at
start-up through a registration point named in `kit.domains`.
"""
