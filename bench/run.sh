#!/usr/bin/env bash
# Builds, runs rrseq-bench (every row 5 times), and writes under bench/results/:
#   <date>.json   Google Benchmark's JSON
#   <date>.csv    one line per run of a row (rrseq-bench --csv)
#   table.md      per row: median, min and max ns per ID over its runs; the
#                 machine's limits probed in the same run (fdatasync, loopback
#                 round trips) and each row's ratio to its target or limit;
#                 the seed's Go figure
#   plot.png      ours vs the seed, median ns per ID with min-max bars, log scale
# Arguments go to rrseq-bench, e.g.:
#   bench/run.sh --benchmark_filter='BufSize1024'   # part of the table
#   bench/run.sh --time_scale=0.3                   # shorter runs
#   bench/run.sh --servers in-process               # nodes inside rrseq-bench, not processes
#   bench/run.sh --benchmark_repetitions=9          # more runs per row (default 5)
# RRSEQ_BENCH_BIN=path/to/rrseq-bench skips the build and runs that binary.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${RRSEQ_BENCH_BIN:-}
if [ -z "$bin" ]; then
  scripts/build.sh
  bin=build/bin/rrseq-bench
fi

runs_per_row=5  # the fewest runs a row's median, min and max are taken over
repetitions=(--benchmark_repetitions=$runs_per_row)
for a in "$@"; do
  case "$a" in --benchmark_repetitions=*) repetitions=() ;; esac
done

out=bench/results
mkdir -p "$out"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
json="$out/$stamp.json"
csv="$out/$stamp.csv"

start=$(date +%s)
"$bin" --benchmark_out="$json" --benchmark_out_format=json --csv "$csv" "${repetitions[@]}" "$@"
elapsed=$(($(date +%s) - start))

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo || true)
kernel=$(uname -r)

agg=$(mktemp)
data=$(mktemp)
trap 'rm -f "$agg" "$data"' EXIT

# --- one line per row: median, min, max over its runs ---------------------------
# Tab-separated, rows in the order they first ran:
#   1 name  2 family  3 workload  4 buf  5 mode  6 runs  7 median  8 min  9 max
#   10 ids  11 seed  12 seed_lo  13 seed_hi  14 target  15 error  16 limit
awk -F, -v OFS='\t' '
NR == 1 { next }
{
  n = $1
  if (!(n in runs)) { order[++rows] = n; line[n] = $0; runs[n] = 0 }
  if ($13 != "" && !(n in err)) err[n] = $13
  if ($8 != "") { k = ++runs[n]; v[n, k] = $8 + 0; ids[n] += $6 }
}
END {
  for (r = 1; r <= rows; r++) {
    n = order[r]; split(line[n], f, ","); c = runs[n]
    for (i = 2; i <= c; i++)  # insertion sort of the row`s runs
      for (j = i; j > 1 && v[n, j - 1] > v[n, j]; j--) { t = v[n, j]; v[n, j] = v[n, j - 1]; v[n, j - 1] = t }
    med = c == 0 ? "" : (c % 2 ? v[n, (c + 1) / 2] : (v[n, c / 2] + v[n, c / 2 + 1]) / 2)
    print n, f[2], f[3], f[4], f[5], c, med, (c ? v[n, 1] : ""), (c ? v[n, c] : ""), ids[n] + 0,
          f[9], f[10], f[11], f[12], (n in err ? err[n] : ""), f[14]
  }
}' "$csv" > "$agg"

# --- table.md -----------------------------------------------------------------
awk -F'\t' -v stamp="$stamp" -v elapsed="$elapsed" -v cpu="${cpu:-unknown}" -v cores="$(nproc)" \
    -v kernel="$kernel" -v args="$*" -v want_runs="$runs_per_row" \
    -v header="| workload | mode | runs | ns per ID: median | min | max | vs baseline | seed Go ns/ID | target ns/ID | median / target | meets target |" \
    -v rule="|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|" '
function commas(v,   s, r) {
  s = sprintf("%.0f", v); r = ""
  while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
  return s r
}
function ns(v) { return v == "" ? "" : (v + 0 < 100 ? sprintf("%.1f", v) : commas(v)) }
function x(v) { return sprintf(v < 10 ? "%.2fx" : "%.0fx", v) }
# A run with one switch changed: its mode or its name says which.
function variant(name, mode) { return mode ~ /\+no/ || name ~ /_(NoAffinity|Adaptive|NoShare)_/ }
# "1.2*(fdatasync+2*rtt_processes)" from the probes of this run; "" if one is missing.
function limit_of(e,   factor, inner, terms, t, i, k, name, sum) {
  factor = substr(e, 1, index(e, "*(") - 1) + 0
  inner = substr(e, index(e, "*(") + 2); sub(/\)$/, "", inner)
  split(inner, terms, "+"); sum = 0
  for (i in terms) {
    t = terms[i]; k = 1; name = t
    if (index(t, "*")) { k = substr(t, 1, index(t, "*") - 1) + 0; name = substr(t, index(t, "*") + 1) }
    if (!(name in probe)) return ""
    sum += k * probe[name]
  }
  return factor * sum
}
# First pass: the probes, and the local baseline per buffer size and threading.
NR == FNR {
  if ($2 == "Probe" && $7 != "") { probe[$3] = $7; plo[$3] = $8; phi[$3] = $9; pruns[$3] = $6 }
  if ($2 == "SimpleBufSeq" && $7 != "") base[$4, $3 == "SingleClient" ? "single" : "many"] = $7
  next
}
function ratio(buf, workload, v,   b) {
  b = base[buf, workload == "SingleClient" ? "single" : "many"]
  return (b == "" || v == "" || b + 0 == 0) ? "" : x(v / b)
}
FNR == 1 {
  print "# rrseq-bench results"
  print ""
  printf "Run %s on %s cores (%s, Linux %s); full run took %d s (%dm%02ds).", stamp, cores, cpu, kernel, elapsed, elapsed / 60, elapsed % 60
  if (args != "") printf " Arguments: `%s`.", args
  print ""
  print ""
  print "## Limits of this machine, probed in this run"
  print ""
  print "| probe | runs | ns per operation: median | min | max |"
  print "|---|--:|--:|--:|--:|"
  split("fdatasync rtt_threads rtt_processes", names, " ")
  what["fdatasync"] = "fdatasync of a 64-byte append in the data directory"
  what["rtt_threads"] = "loopback TCP round trip, 64 bytes each way, between two threads"
  what["rtt_processes"] = "loopback TCP round trip, 64 bytes each way, between two processes"
  for (i = 1; i <= 3; i++) {
    p = names[i]
    if (p in probe) printf "| %s (`%s`) | %d | %s | %s | %s |\n", what[p], p, pruns[p], ns(probe[p]), ns(plo[p]), ns(phi[p])
    else printf "| %s (`%s`) | 0 | not run | | |\n", what[p], p
  }
  print ""
  print "Each probe run takes the median of its operations (200 syncs, 2,000 round trips); the table"
  print "gives the median, min and max of those over the runs."
  print ""
  print "## Rows"
  print ""
  print "ns per ID = elapsed real time / IDs handed out (lower is better): the median over the runs of"
  print "the row, with its fastest (min) and slowest (max) run. Seed: the 2016 Go code on this machine"
  print "kind (2 cores). Targets come from issue 12; a target written `1.2 x (...)` is that limit,"
  print "computed from the probes above (`rtt_processes` when the nodes run as processes, the"
  print "default). vs baseline = median over the SimpleBufSeq row of the same buffer size and"
  print "threads, same run."
  print ""
  print header
  print rule
  next
}
$2 == "Probe" { next }
{
  target = ""; tval = ""
  if ($16 != "") {
    tval = limit_of($16)
    pretty = $16; gsub(/\*/, " x ", pretty); gsub(/\+/, " + ", pretty)
    target = tval == "" ? pretty " (probe missing)" : pretty " = " commas(tval)
  } else if ($14 != "") { tval = $14; target = "<= " commas($14) }
  med = $15 != "" ? "error: " $15 : ns($7)
  seed = $11 == "" ? "" : commas($11)
  vs = ""; verdict = ""
  if (tval != "" && $7 != "") { vs = x($7 / tval); verdict = ($7 + 0 <= tval + 0) ? "yes" : "**no**" }
  runs = $6 + 0 < want_runs + 0 ? $6 " (**< " want_runs "**)" : $6
  name = $1; sub(/\/[^\/]*$/, "", name)  # the mode has its own column
  line = sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", name, $5, runs, med, ns($8), ns($9),
                 $2 == "SimpleBufSeq" ? "1x" : ratio($4, $3, $7), seed, target, vs, verdict)
  if (variant($1, $5)) variants = variants line "\n"; else print line
}
END {
  if (variants == "") exit
  print ""
  print "## Each speed-up switched off (adaptive buffers: switched on)"
  print ""
  print "The rows with a target, rerun with one switch changed: `+nocombine` (no request combining),"
  print "`+nofastpath` (a prepare round before every accept), `+nogroupcommit` (one fdatasync per"
  print "record), `_NoAffinity` (clients start at different nodes), `_NoShare` (threads of one Client"
  print "take turns instead of sharing a request), `_Adaptive` (the client grows its range with its"
  print "rate). Compare each with its default row above."
  print ""
  print header
  print rule
  printf "%s", variants
}' "$agg" "$agg" > "$out/table.md"

# --- plot.png -----------------------------------------------------------------
# One line per workload: label, memory median/min/max, durable median/min/max,
# local baseline, seed, target (memory), target (durable).
awk -F'\t' '
$2 == "Probe" || $5 ~ /\+no/ || $1 ~ /_(NoAffinity|Adaptive|NoShare)_/ { next }  # switched: table only
{
  w = $1; sub(/\/[^\/]*$/, "", w); w = w ($5 ~ /doors/ ? "+doors" : "")
  if (!(w in seen)) {
    seen[w] = ++n; order[n] = w
    short = $3; sub(/ConcurrentClients_Distributed/, "dist32", short)
    sub(/ConcurrentClients_Local/, "local32", short); sub(/SingleClient/, "single", short)
    family = $2 == "RRSeq" ? "" : ($2 == "SimpleBufSeq" ? "Simple " : $2 " ")
    label[w] = family "buf" $4 " " short ($5 ~ /doors/ ? " (doors)" : "")
    mem[w] = "? ? ?"; dur[w] = "? ? ?"; loc[w] = "?"; sd[w] = "?"; tgt[w] = "?"; tgtd[w] = "?"
  }
  v = $7 == "" ? "? ? ?" : $7 " " $8 " " $9
  if ($5 ~ /^memory/) mem[w] = v; else if ($5 == "durable") dur[w] = v; else loc[w] = ($7 == "" ? "?" : $7)
  if ($11 != "") sd[w] = $11
  if ($14 != "" && $5 == "memory") tgt[w] = $14
  if ($14 != "" && $5 == "durable") tgtd[w] = $14
}
END {
  for (i = 1; i <= n; i++) {
    w = order[i]; split(mem[w], m, " "); split(dur[w], d, " ")
    printf "\"%s\"\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", label[w], m[1], m[2], m[3], d[1], d[2], d[3],
           loc[w], sd[w], tgt[w], tgtd[w]
  }
}' "$agg" > "$data"

if command -v gnuplot >/dev/null; then
  gnuplot <<GNUPLOT
set terminal pngcairo size 1400,750 font ",10"
set output "$out/plot.png"
set title "rrseq-bench $stamp: ns per ID (median of the runs, bars min to max), 5-node loopback cluster vs the seed (Go, 2016), log scale"
set datafile separator "\t"
set datafile missing "?"
set logscale y
set format y "10^{%L}"
set ylabel "ns per ID (lower is better)"
set xtics rotate by -40 left nomirror
set grid ytics
set key top right
set offsets 0.5, 0.5, 0, 0
set bmargin 9
set rmargin 12
plot "$data" using (\$0-0.12):2:3:4:xtic(1) with yerrorbars pt 7 ps 1.3 lc rgb "#1f77b4" title "ours, memory", \
     "" using (\$0+0.12):5:6:7 with yerrorbars pt 9 ps 1.3 lc rgb "#2ca02c" title "ours, durable", \
     "" using 0:8 with points pt 13 ps 1.6 lc rgb "#9467bd" title "local baseline (SimpleBufSeq-style)", \
     "" using 0:9 with points pt 5 ps 1.2 lc rgb "#d62728" title "seed (Go, 2016)", \
     "" using 0:10 with points pt 1 ps 2.5 lw 2 lc rgb "black" title "target, memory", \
     "" using 0:11 with points pt 2 ps 2.5 lw 2 lc rgb "#555555" title "target, durable"
GNUPLOT
  plot_note="$out/plot.png"
else
  plot_note="(no plot: gnuplot missing; scripts/install-deps.sh installs gnuplot-nox)"
fi

echo "rrseq-bench: $json, $csv, $out/table.md, $plot_note (${elapsed}s)"
