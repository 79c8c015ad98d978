"""Native RDKit baseline for bench/import.bench.ts: the same per-molecule work as plain WASM import
(parse, the 43 `Properties` descriptors = MinimalLib's get_descriptors(), Morgan r=2 2048 bits,
canonical SMILES), over N processes. Prints one JSON line. Used only by the benchmark."""
import gzip
import json
import sys
import time
from multiprocessing import Pool

from rdkit import Chem, RDLogger, rdBase
from rdkit.Chem import rdMolDescriptors
from rdkit.Chem import rdFingerprintGenerator

RDLogger.DisableLog("rdApp.*")
_props = None
_gen = None


def _init():
    global _props, _gen
    _props = rdMolDescriptors.Properties()
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


def main():
    path, procs = sys.argv[1], int(sys.argv[2])
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        lines = [l.strip().split(",")[0].split()[0] for l in f if l.strip()]
    if lines and lines[0].lower() in ("smiles", "canonical_smiles"):
        lines = lines[1:]
    chunks = [lines[i:i + 2000] for i in range(0, len(lines), 2000)]
    t0 = time.perf_counter()
    with Pool(procs, initializer=_init) as p:
        ok = sum(p.map(work, chunks))
    dt = time.perf_counter() - t0
    print(json.dumps({"rdkit": rdBase.rdkitVersion, "molecules": len(lines), "ok": ok, "seconds": dt, "per_second": len(lines) / dt, "processes": procs, "descriptors": len(list(rdMolDescriptors.Properties.GetAvailableProperties()))}))


if __name__ == "__main__":
    main()
