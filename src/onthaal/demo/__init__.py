"""The fictional demo municipality: Gemeente en OCMW Zonnedoorn."""
