"""Plans: the diff between desired and live state, as a frozen value. Pure: no AWS."""
