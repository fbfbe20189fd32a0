"""The pipeline stages: plain functions and the Beam composites that wire them."""
