"""Many independent simulations shared among processes, results in the order of the jobs."""

import os
from concurrent.futures import ProcessPoolExecutor


def run_parallel(fn, jobs, workers=None, progress=None, chunksize=1):
    """``[fn(job) for job in jobs]``, in ``workers`` processes (default: one per CPU);
    ``progress(done, total)`` is called as results come in."""
    workers = workers or os.cpu_count() or 1
    results = []
    if workers == 1:
        for job in jobs:
            results.append(fn(job))
            if progress:
                progress(len(results), len(jobs))
        return results
    with ProcessPoolExecutor(workers) as pool:
        for result in pool.map(fn, jobs, chunksize=chunksize):
            results.append(result)
            if progress:
                progress(len(results), len(jobs))
    return results
