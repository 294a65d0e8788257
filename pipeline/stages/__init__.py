"""The stages dvc.yaml runs, one module each.

``python -m pipeline.cli <stage>`` calls ``pipeline.stages.<stage>.main``."""
