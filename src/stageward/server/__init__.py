"""The team server (SPEC §9): REST over the verb catalogue, bearer API keys, blob streaming, metrics.

`create_app(settings)` builds the FastAPI app; `stageward server` runs it on Uvicorn. Nothing here holds a
rule of its own: every act is a verb of the catalogue, run with a Context acting as the key's principal in
the key's environment.
"""
