"""The Definitions object `workspace.yaml` and `dg` load, configured from the environment (see settings.py)."""

from ecom_pipeline.defs.build import build_definitions
from ecom_pipeline.settings import load_settings

defs = build_definitions(load_settings())
