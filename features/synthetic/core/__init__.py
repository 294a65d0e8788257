"""What both synthetic worlds share.

``config.py`` the knobs every world has (``WorldConfig``); ``hazard.py`` the
rows of the family contributions and the logistic link; ``chunks.py`` the
chunked run (in parallel if asked) and the column batches a chunk emits;
``simulation.py`` the frame of a world's simulation (cutoffs, horizon, totals);
``tables.py`` the tables both write with the same schema and the Arrow helpers.
Nothing here imports a world.
"""
