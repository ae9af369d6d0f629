"""The greedy nearest-room baseline the placement is compared with."""
