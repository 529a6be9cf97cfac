"""Programs written for Lightning 0.8, run with ``pytorch_lightning`` resolving to orchestrator."""
