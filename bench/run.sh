#!/usr/bin/env bash
# Builds, runs rrseq-bench, and writes under bench/results/:
#   <date>.json   Google Benchmark's JSON
#   <date>.csv    one line per benchmark (rrseq-bench --csv)
#   table.md      workload, mode, ns per ID, the seed's Go figure, the target
#   plot.png      ours vs the seed, ns per ID on a log scale (gnuplot)
# Arguments go to rrseq-bench, e.g.:
#   bench/run.sh --benchmark_filter='BufSize1024'   # part of the table
#   bench/run.sh --time_scale=0.1                   # a quick, rough run
# RRSEQ_BENCH_BIN=path/to/rrseq-bench skips the build and runs that binary.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${RRSEQ_BENCH_BIN:-}
if [ -z "$bin" ]; then
  scripts/build.sh
  bin=build/bin/rrseq-bench
fi

out=bench/results
mkdir -p "$out"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
json="$out/$stamp.json"
csv="$out/$stamp.csv"

start=$(date +%s)
"$bin" --benchmark_out="$json" --benchmark_out_format=json --csv "$csv" "$@"
elapsed=$(($(date +%s) - start))

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo || true)

# --- table.md -----------------------------------------------------------------
awk -F, -v stamp="$stamp" -v elapsed="$elapsed" -v cpu="${cpu:-unknown}" -v cores="$(nproc)" \
    -v args="$*" \
    -v header="| workload | mode | IDs | ns per ID | vs baseline | seed Go ns/ID | target ns/ID | meets target |" \
    -v rule="|---|---|--:|--:|--:|--:|--:|---|" '
function commas(v,   s, r) {
  s = sprintf("%.0f", v); r = ""
  while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
  return s r
}
function ns(v) { return v == "" ? "" : (v + 0 < 100 ? sprintf("%.1f", v) : commas(v)) }
# A run with one optimization switched: its mode or its name says which.
function variant(name, mode) { return mode ~ /\+/ || name ~ /_(NoAffinity|Adaptive)_/ }
# First pass: the local baseline per buffer size and threading (distributed: 32 threads).
NR == FNR {
  if ($2 == "SimpleBufSeq" && $13 == "") base[$4, $3 == "SingleClient" ? "single" : "many"] = $8
  next
}
function ratio(buf, workload, v,   b) {
  b = base[buf, workload == "SingleClient" ? "single" : "many"]
  return (b == "" || v == "" || b + 0 == 0) ? "" : sprintf(v / b < 10 ? "%.1fx" : "%.0fx", v / b)
}
FNR == 1 {
  print "# rrseq-bench results"
  print ""
  printf "Run %s on %s cores (%s); full run took %d s (%dm%02ds).", stamp, cores, cpu, elapsed, elapsed / 60, elapsed % 60
  if (args != "") printf " Arguments: `%s`.", args
  print ""
  print ""
  print "ns per ID = elapsed real time / IDs handed out (lower is better). Seed: the 2016 Go code on"
  print "this machine kind (2 cores). Targets come from the issues. The machine is shared: expect noise."
  print "vs baseline = ns per ID over the SimpleBufSeq row of the same buffer size and threads, same run."
  print ""
  print header
  print rule
  next
}
{
  name = $1; sub(/\/[^\/]*$/, "", name)
  ours = $13 != "" ? "error: " $13 : ns($8)
  seed = $9 ~ /-/ ? $9 : ($9 == "" ? "" : commas($9))
  target = $12 == "" ? "" : "<= " commas($12)
  verdict = ""
  if ($12 != "" && $13 == "") verdict = ($8 + 0 <= $12 + 0) ? "yes" : "**no**"
  line = sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |", name, $5, commas($6), ours,
                 $2 == "SimpleBufSeq" ? "1x" : ratio($4, $3, $8), seed, target, verdict)
  if (variant($1, $5)) variants = variants line "\n"; else print line
}
END {
  if (variants == "") exit
  print ""
  print "## Each optimization switched off (adaptive buffers: switched on)"
  print ""
  print "The rows with a target, rerun with one switch changed: `+nocombine` (no request combining),"
  print "`+nofastpath` (a prepare round before every accept), `+nogroupcommit` (one fdatasync per"
  print "record), `_NoAffinity` (clients start at different nodes), `_Adaptive` (the client grows its"
  print "range with its rate). Compare each with"
  print "its default row above."
  print ""
  print header
  print rule
  printf "%s", variants
}' "$csv" "$csv" > "$out/table.md"

# --- plot.png -----------------------------------------------------------------
# One row per workload: label, ours memory, ours durable, local baseline, seed lo, seed hi, target.
data=$(mktemp)
trap 'rm -f "$data"' EXIT
awk -F, '
NR == 1 { next }
$5 ~ /\+/ || $1 ~ /_(NoAffinity|Adaptive)_/ { next }  # switched variants: table only
{
  w = $1; sub(/\/[^\/]*$/, "", w)
  if (!(w in seen)) {
    seen[w] = ++n; order[n] = w
    short = $3; sub(/ConcurrentClients_Distributed/, "dist32", short)
    sub(/ConcurrentClients_Local/, "local32", short); sub(/SingleClient/, "single", short)
    label[w] = ($2 == "SimpleBufSeq" ? "Simple " : "") "buf" $4 " " short
    mem[w] = "?"; dur[w] = "?"; loc[w] = "?"; lo[w] = "?"; hi[w] = "?"; tgt[w] = "?"
  }
  v = ($8 == "" ? "?" : $8)
  if ($5 == "memory") mem[w] = v; else if ($5 == "durable") dur[w] = v; else loc[w] = v
  if ($10 != "") { lo[w] = $10; hi[w] = $11 }
  if ($12 != "" && $5 == "memory") tgt[w] = $12
  if ($12 != "" && $5 == "durable") tgtd[w] = $12
}
END {
  for (i = 1; i <= n; i++) {
    w = order[i]
    printf "\"%s\"\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", label[w], mem[w], dur[w], loc[w], lo[w], hi[w], tgt[w], (w in tgtd ? tgtd[w] : "?")
  }
}' "$csv" > "$data"

if command -v gnuplot >/dev/null; then
  gnuplot <<EOF
set terminal pngcairo size 1400,750 font ",10"
set output "$out/plot.png"
set title "rrseq-bench $stamp: ns per ID, 5-node loopback cluster vs the seed (Go, 2016), log scale"
set datafile separator "\t"
set datafile missing "?"
set logscale y
set format y "10^{%L}"
set ylabel "ns per ID (lower is better)"
set xtics rotate by -40 left nomirror
set grid ytics
set key top right
set offsets 0.5, 0.5, 0, 0
set bmargin 8
set rmargin 12
plot "$data" using 0:2:xtic(1) with points pt 7 ps 1.6 lc rgb "#1f77b4" title "ours, memory", \
     "" using 0:3 with points pt 9 ps 1.6 lc rgb "#2ca02c" title "ours, durable", \
     "" using 0:4 with points pt 13 ps 1.6 lc rgb "#9467bd" title "ours, local baseline (SimpleBufSeq-style)", \
     "" using 0:((\$5+\$6)/2):5:6 with yerrorbars pt 5 ps 1.2 lc rgb "#d62728" title "seed (Go, 2016)", \
     "" using 0:7 with points pt 1 ps 2.5 lw 2 lc rgb "black" title "target, memory", \
     "" using 0:8 with points pt 2 ps 2.5 lw 2 lc rgb "#555555" title "target, durable"
EOF
  plot_note="$out/plot.png"
else
  plot_note="(no plot: gnuplot missing; scripts/install-deps.sh installs gnuplot-nox)"
fi

echo "rrseq-bench: $json, $csv, $out/table.md, $plot_note (${elapsed}s)"
