"""Native RDKit baseline for bench/import.bench.ts: the same per-molecule work as plain WASM import
(parse, the 43 `Properties` descriptors = MinimalLib's get_descriptors(), Morgan r=2 2048 bits,
canonical SMILES), over N processes. Prints one JSON line. Used only by the benchmark.

    native_rdkit.py FILE PROCESSES [NAME,NAME,...]

With a third argument only those `Properties` descriptors are computed (e.g. the model's set), to
measure what a descriptor subset costs natively. `cpu_seconds` is the CPU time of this process and
its pool workers (user + system), which other jobs on a shared machine do not inflate."""
import gzip
import json
import os
import sys
import time
from multiprocessing import Pool

from rdkit import Chem, RDLogger, rdBase
from rdkit.Chem import rdMolDescriptors
from rdkit.Chem import rdFingerprintGenerator

RDLogger.DisableLog("rdApp.*")
_props = None
_gen = None


def _init(names):
    global _props, _gen
    _props = rdMolDescriptors.Properties(names) if names else rdMolDescriptors.Properties()
    _gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)


def work(smiles_chunk):
    ok = 0
    for s in smiles_chunk:
        m = Chem.MolFromSmiles(s)
        if m is None:
            continue
        _props.ComputeProperties(m)
        _gen.GetFingerprintAsNumPy(m)
        Chem.MolToSmiles(m)
        ok += 1
    return ok


def cpu():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main():
    path, procs = sys.argv[1], int(sys.argv[2])
    names = sys.argv[3].split(",") if len(sys.argv) > 3 and sys.argv[3] else None
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        lines = [l.strip().split(",")[0].split()[0] for l in f if l.strip()]
    if lines and lines[0].lower() in ("smiles", "canonical_smiles"):
        lines = lines[1:]
    chunks = [lines[i:i + 2000] for i in range(0, len(lines), 2000)]
    c0 = cpu()
    t0 = time.perf_counter()
    with Pool(procs, initializer=_init, initargs=(names,)) as p:
        ok = sum(p.map(work, chunks))
        p.close()
        p.join()
    dt = time.perf_counter() - t0
    cpu_s = cpu() - c0
    n_desc = len(names) if names else len(list(rdMolDescriptors.Properties.GetAvailableProperties()))
    print(json.dumps({"rdkit": rdBase.rdkitVersion, "molecules": len(lines), "ok": ok, "seconds": dt, "per_second": len(lines) / dt,
                      "cpu_seconds": cpu_s, "per_cpu_second": len(lines) / cpu_s if cpu_s > 0 else None, "processes": procs, "descriptors": n_desc}))


if __name__ == "__main__":
    main()
