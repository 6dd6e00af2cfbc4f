"""The chat as a Gradio Blocks app, mounted by qa.serve.app on the server's FastAPI app; only `qa serve` imports it."""
import os

# Read by gradio when it is imported, so set before any module of this package imports it: no telemetry, no version
# check, no Hugging Face look-up (with its defaults Gradio contacts api.gradio.app and huggingface.co).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# Gradio's queue keeps timing records of its last 10,000 events (for ETAs and its monitoring page, which is off):
# every call through its API adds one, so memory crept for the first 10,000 calls.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "200")
