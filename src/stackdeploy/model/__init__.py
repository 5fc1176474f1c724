"""The domain model of a stack: resources, references, values not yet known. Pure: no AWS."""
