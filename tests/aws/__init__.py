"""The AWS layer (client factory, retry policy) against moto through a counting proxy."""
