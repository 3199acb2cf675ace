#!/usr/bin/env python3
"""The raw results and tables behind docs/bean.md (called by scripts/bean_evidence).

  collect RUNS LENET5_RUNS OUT   gathers what the runs left (reports, assemblies.json, pruning curves,
                                 few-shot results) into small CSV and JSON files under OUT
  tables OUT                     writes OUT/tables.md from those files alone, so a reader can check
                                 every number without rerunning anything
  chosen PREFIX SEED             the alpha of the run PREFIX-<alpha>-s<SEED> with the best validation
                                 accuracy: the strength a method is reported with
"""
import csv
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

HEBB = os.environ.get("HEBB", "build/apps/hebb")
METHODS = ["none", "l1", "l2", "bean1", "bean2"]
NAMES = {"none": "none", "plain": "none", "l1": "L1", "l2": "L2", "bean1": "BEAN-1", "bean2": "BEAN-2"}


def test_accuracy(run):  # % from report.md
    return float(re.search(r"Test accuracy: \*\*([0-9.]+)", open(f"{run}/report.md").read()).group(1))


def best_val(run):  # the best validation accuracy in a run's metrics.jsonl; "" without validation
    metrics = [json.loads(line) for line in open(f"{run}/metrics.jsonl")]
    return max((m["val_acc"] for m in metrics if m.get("val_acc") is not None), default="")


def choose(selection):  # rows with alpha and best_val_acc -> the row with the best, the smallest alpha of equal ones
    return max(sorted(selection, key=lambda r: float(r["alpha"])), key=lambda r: float(r["best_val_acc"]))


def chosen(prefix, seed):
    suffix = f"-s{seed}"
    runs = [r for r in glob.glob(f"{prefix}-*{suffix}") if os.path.exists(f"{r}/report.md")]
    print(choose([{"alpha": r[len(prefix) + 1:-len(suffix)], "best_val_acc": best_val(r)} for r in runs])["alpha"])


def small_weights(checkpoint):  # % of dense weights below 1e-3 of the largest, as hebb inspect counts them
    out = subprocess.run([HEBB, "inspect", checkpoint], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"([0-9.]+)% of them below", out).group(1))


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def collect(runs, lenet5_runs, out):
    os.makedirs(out, exist_ok=True)
    trained, layers = [], []
    folders = [(r, "784-256-128-10") for r in sorted(glob.glob(f"{runs}/*-s[0-9]*")) if os.path.isdir(r)]
    folders += [(r, "lenet5") for r in sorted(glob.glob(f"{lenet5_runs}/*-s[0-9]")) if os.path.isdir(r)]
    for run, arch in folders:
        if not os.path.exists(f"{run}/report.md"):
            continue
        config = json.load(open(f"{run}/config.json"))
        epochs = sum(1 for _ in open(f"{run}/metrics.jsonl"))
        checkpoint = f"{run}/best.safetensors" if os.path.exists(f"{run}/best.safetensors") else f"{run}/last.safetensors"
        seed = config["seed"]
        row = {"arch": arch, "data": config["data"], "method": config["reg"], "alpha": config["alpha"], "seed": seed,
               "role": "selection" if seed >= 100 else "evaluation", "epochs": epochs,
               "best_val_acc": best_val(run),
               "test_acc": test_accuracy(run), "weights": os.path.basename(checkpoint).split(".")[0],
               "small_weights_pct": small_weights(checkpoint)}
        trained.append(row)
        for asm in sorted(glob.glob(f"{run}/asm-o*/assemblies.json")):
            j = json.load(open(asm))
            for layer in j["layers"]:
                f = layer["functional"]
                layers.append({k: row[k] for k in ("arch", "data", "method", "alpha", "seed")} | {
                    "order": j["order"], "layer": layer["layer"], "neurons": layer["n_neurons"],
                    "targets": layer["targets"], "k": layer["k"], "eigengap": layer["eigengap"],
                    "modularity": layer["modularity"], "purity": layer["mean_purity"],
                    "chance_purity": layer["chance_purity"], "selectivity": layer["mean_selectivity"],
                    "dominant_classes": len({a["dominant_class"] for a in layer["assemblies"] if a["dominant_class"] >= 0}),
                    "readout_agreement": layer["readout_agreement"],
                    "readout_chance": layer["readout_agreement_chance"], "functional_k": f["k"],
                    "functional_modularity": f["modularity"], "functional_purity": f["mean_purity"],
                    "functional_chance_purity": f["chance_purity"], "dead": len(layer["unassigned"]),
                    "small_weights": layer["small_weight_fraction"]})
    write_csv(f"{out}/runs.csv", trained)
    write_csv(f"{out}/assemblies.csv", layers)
    for folder in glob.glob(f"{runs}/prune-*/") + glob.glob(f"{lenet5_runs}/prune-*/"):
        folder = folder.rstrip("/")  # runs/bean/prune-mnist -> bean-prune-mnist.csv and .json
        name = os.path.basename(os.path.dirname(folder)) + "-" + os.path.basename(folder)
        for ext in ("csv", "json"):
            if os.path.exists(f"{folder}/sweep.{ext}"):
                shutil.copy(f"{folder}/sweep.{ext}", f"{out}/{name}.{ext}")
    for folder in ("fewshot", "fewshot-lenet5"):
        for name in ("fewshot.json", "runs.jsonl"):
            if os.path.exists(f"{runs}/{folder}/{name}"):
                shutil.copy(f"{runs}/{folder}/{name}", f"{out}/{folder}-{name}")


def mean_sd(xs, digits=2):
    xs = [float(x) for x in xs]
    if not xs:
        return "-"
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs):.{digits}f} ± {sd:.{digits}f}"


def alpha_str(a):
    return f"{float(a):g}"


def tables(out):
    runs = read_csv(f"{out}/runs.csv")
    layers = read_csv(f"{out}/assemblies.csv")
    md = []
    emit = md.append
    mlp = [r for r in runs if r["arch"] == "784-256-128-10"]

    # 1. Selection: every grid value's validation accuracy at the selection seed.
    emit("## Strengths chosen on validation (seed 100, never reported)\n")
    emit("| data | method | alpha: best validation accuracy (%) | chosen |\n|---|---|---|---|")
    chosen = {}
    for d in ("mnist", "fashion-mnist"):
        for m in METHODS[1:]:
            sel = sorted((r for r in mlp if r["data"] == d and r["method"] == m and r["role"] == "selection"),
                         key=lambda r: float(r["alpha"]))
            if not sel:
                continue
            best = choose(sel)
            chosen[d, m] = best["alpha"]
            cells = ", ".join(f"{alpha_str(r['alpha'])}: {100 * float(r['best_val_acc']):.2f}" for r in sel)
            emit(f"| {d} | {NAMES[m]} | {cells} | {alpha_str(best['alpha'])} |")

    # 2. The reference setting, 3 seeds: accuracy and sparsity, paired with none.
    emit("\n## Accuracy and small weights, seeds 1-3\n")
    emit("| data | method | alpha | test accuracy (%) | minus none, seed by seed | weights below 1e-3 of the largest (%) |")
    emit("|---|---|---|---|---|---|")
    for d in ("mnist", "fashion-mnist"):
        base = {r["seed"]: float(r["test_acc"]) for r in mlp if r["data"] == d and r["method"] == "none" and r["role"] == "evaluation"}
        for m in METHODS:
            alphas = sorted({r["alpha"] for r in mlp if r["data"] == d and r["method"] == m and r["role"] == "evaluation"
                             and (m == "none" or r["alpha"] == chosen.get((d, m)) or (m == "bean1" and float(r["alpha"]) == 3))},
                            key=float)
            for a in alphas:
                rs = sorted((r for r in mlp if r["data"] == d and r["method"] == m and r["alpha"] == a and r["role"] == "evaluation"),
                            key=lambda r: int(r["seed"]))
                diffs = [float(r["test_acc"]) - base[r["seed"]] for r in rs if r["seed"] in base]
                paired = "" if m == "none" else " ".join(f"{x:+.2f}" for x in diffs) + f" (mean {statistics.mean(diffs):+.2f})"
                note = " (chosen)" if chosen.get((d, m)) == a else (" (reference)" if m == "bean1" else "")
                emit(f"| {d} | {NAMES[m]} | {alpha_str(a) if m != 'none' else '-'}{note if m != 'none' else ''} | "
                     f"{mean_sd(r['test_acc'] for r in rs)} ({len(rs)}) | {paired} | {mean_sd(r['small_weights_pct'] for r in rs)} |")

    # 3. The alpha sweep on MNIST: accuracy, modularity and sparsity of the last hidden layer.
    emit("\n## Alpha sweep, MNIST\n")
    emit("| method | alpha | seeds | test accuracy (%) | weights below 1e-3 (%) | last hidden layer: k | classes leading an assembly | modularity Q | readout agreement |")
    emit("|---|---|---|---|---|---|---|---|---|")
    for m in ("bean1", "bean2"):
        order = m[-1]
        for a in sorted({r["alpha"] for r in mlp if r["data"] == "mnist" and r["method"] == m and r["role"] == "evaluation"}, key=float):
            rs = [r for r in mlp if r["data"] == "mnist" and r["method"] == m and r["alpha"] == a and r["role"] == "evaluation"]
            ls = [l for l in layers if l["arch"] == "784-256-128-10" and l["data"] == "mnist" and l["method"] == m
                  and l["alpha"] == a and l["order"] == order and l["layer"] == "layer2" and int(l["seed"]) < 100]
            emit(f"| {NAMES[m]} | {alpha_str(a)} | {len(rs)} | {mean_sd(r['test_acc'] for r in rs)} | "
                 f"{mean_sd(r['small_weights_pct'] for r in rs)} | {' '.join(l['k'] for l in ls)} | "
                 f"{' '.join(l['dominant_classes'] for l in ls)} | "
                 f"{mean_sd((l['modularity'] for l in ls), 3)} | {mean_sd((l['readout_agreement'] for l in ls), 2)} |")

    # 4. Assemblies, seeds 1-3, each model at the graph order of its method (BEAN-2: order 2), plain at both.
    emit("\n## Assemblies, seeds 1-3\n")
    emit("Per layer (layerL = the neurons entering Linear L): k per seed (1 = no assembly structure), modularity Q of "
         "the structural graph's partition, its size-weighted class purity (chance), the share of neurons whose "
         "strongest outgoing weight goes to their preferred class (readout agreement, last hidden layer only; chance), "
         "and the purity of assemblies found in the activation correlations alone (functional; chance).\n")
    emit("| arch | data | method | alpha | graph | layer | k per seed | classes leading an assembly, per seed | Q | purity (chance) | readout agreement (chance) | functional k | functional purity (chance) |")
    emit("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for arch in ("784-256-128-10", "lenet5"):
        for d in ("mnist", "fashion-mnist"):
            for m in METHODS:
                alphas = sorted({l["alpha"] for l in layers if l["arch"] == arch and l["data"] == d and l["method"] == m},
                                key=float)
                if arch == "784-256-128-10":
                    alphas = [a for a in alphas if m == "none" or a == chosen.get((d, m))]
                for a in alphas:
                    for order in (("1", "2") if m in ("none", "l1", "l2") else (m[-1],)):
                        sel = [l for l in layers if l["arch"] == arch and l["data"] == d and l["method"] == m and l["alpha"] == a
                               and l["order"] == order and int(l["seed"]) < 100]
                        for name in sorted({l["layer"] for l in sel}):
                            ls = sorted((l for l in sel if l["layer"] == name), key=lambda l: int(l["seed"]))
                            readout = (f"{mean_sd((l['readout_agreement'] for l in ls), 2)} ({mean_sd((l['readout_chance'] for l in ls), 2)})"
                                       if ls[0]["readout_agreement"] not in ("", "None") else "-")
                            emit(f"| {arch} | {d} | {NAMES[m]} | {alpha_str(a) if m != 'none' else '-'} | order {order} | {name} "
                                 f"({ls[0]['neurons']}) | {' '.join(l['k'] for l in ls)} | {' '.join(l['dominant_classes'] for l in ls)} | "
                                 f"{mean_sd((l['modularity'] for l in ls), 3)} | "
                                 f"{mean_sd((l['purity'] for l in ls), 2)} ({mean_sd((l['chance_purity'] for l in ls), 2)}) | {readout} | "
                                 f"{' '.join(l['functional_k'] for l in ls)} | {mean_sd((l['functional_purity'] for l in ls), 2)} "
                                 f"({mean_sd((l['functional_chance_purity'] for l in ls), 2)}) |")

    # 5. Sparsity at matched accuracy, from the pruning curves.
    emit("\n## Smallest pruned model within 0.5 points of the unpruned plain model (mean over seeds)\n")
    for path in sorted(glob.glob(f"{out}/*prune-*.json")):
        emit(f"### {os.path.basename(path)[:-5]}\n")
        emit(smallest_table(json.load(open(path))))

    # 6. Few-shot.
    for folder in ("fewshot", "fewshot-lenet5"):
        if os.path.exists(f"{out}/{folder}-fewshot.json"):
            j = json.load(open(f"{out}/{folder}-fewshot.json"))
            emit(f"\n## Few-shot MNIST, {j['arch']}\n")
            emit(fewshot_tables(j))
    text = "\n".join(md) + "\n"
    with open(f"{out}/tables.md", "w") as f:
        f.write("# Tables of docs/bean.md\n\nWritten by `scripts/bean_evidence tables` from the CSV and JSON files "
                "in this folder.\n\n" + text)
    print(text)


def smallest_table(j):
    lines = [f"{j['data']}: target {100 * (j['baseline_accuracy'] - j['tolerance']):.2f} % (the unpruned "
             f"{j['baseline_label']} models' mean {100 * j['baseline_accuracy']:.2f} % less 0.5 points).\n",
             "| label | pruning | fewest parameters (% of unpruned), accuracy | fewest FLOPs per sample (% of unpruned), accuracy "
             "| fewest nonzero dense weights (% of unpruned), accuracy |",
             "|---|---|---|---|---|"]
    def cell(p, key):
        if p is None:
            return "none within 0.5 points"
        return f"{p[key]:,.0f} ({100 * p['of_unpruned']:.1f} %), {100 * p['accuracy']:.2f} %"
    for r in j["smallest"]:
        lines.append(f"| {r['label']} | {r['kind']} | {cell(r['fewest_parameters'], 'parameters')} | "
                     f"{cell(r['fewest_flops'], 'flops')} | {cell(r['fewest_nonzero_weights'], 'nonzero_weights')} |")
    return "\n".join(lines) + "\n"


def fewshot_tables(j):
    lines = [f"{j['data']}, {j['arch']}, {j['epochs']} epochs, batch {j['batch_size']}, Adam lr {j['lr']}, the "
             f"{'best-validation' if j['weights'] == 'best' else 'last'} weights; selection seeds {j['selection_seeds']}, evaluation seeds {j['eval_seeds']}.\n",
             "| shots per class | method | grid | chosen | test accuracy (%) | minus none (points) | 95 % interval | p | better on |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in j["results"]:
        v = r["vs_none"]
        cells = ("| - | - | - | -" if v is None else
                 f"| {100 * v['mean']:+.2f} | {100 * v['ci95'][0]:+.2f} to {100 * v['ci95'][1]:+.2f} | {v['p_value']:.3f} | "
                 f"{v['better']} of {len(v['differences'])}")
        chosen = "-" if r["method"] == "none" else f"{r['chosen']:g}"
        lines.append(f"| {r['shots']} | {NAMES.get(r['method'], r['method'])} | {r['grid_size']} | {chosen} | "
                     f"{100 * r['mean']:.2f} ± {100 * r['sd']:.2f} {cells} |")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "collect":
        collect(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "tables":
        tables(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "chosen":
        chosen(*sys.argv[2:])
    else:
        sys.exit(__doc__)
