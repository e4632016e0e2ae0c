# SPDX-License-Identifier: BSD-3-Clause
#
# plot.gp -- draw bench/out/plot.dat (written by daxfs_bench) as one PNG.
#   gnuplot -e "datafile='bench/out/plot.dat'; outfile='bench/out/bench.png'" bench/plot.gp
if (!exists("datafile")) datafile = 'bench/out/plot.dat'
if (!exists("outfile")) outfile = 'bench/out/bench.png'
if (!exists("subtitle")) subtitle = ''

set terminal pngcairo size 1500,1700 font "Sans,11" noenhanced
set output outfile
set datafile missing "?"
set multiplot layout 3,1 title "libdaxfs benchmark ".subtitle font "Sans,14"

set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set xtics scale 0 rotate by -25 left
set key outside right top autotitle columnhead
set bmargin 6
set lmargin 12
set rmargin 20

# 1: ratios to each peer, bars from 1 (log scale: equal gaps look equal).
set title "libdaxfs cost relative to each peer: time(libdaxfs) / time(peer), bandwidth inverted.  Below 1: libdaxfs is faster."
set logscale y 10
set yrange [0.0005:30]
set ytics ("1/1000" 0.001, "1/300" 0.00333, "1/100" 0.01, "1/30" 0.0333, "1/10" 0.1, "1/3" 0.333, "1" 1, "3" 3, "10" 10, "30" 30)
set ylabel "libdaxfs / peer"
# Bars grow from 1 (up: slower, down: faster), clustered by hand.
w = 0.16
set xrange [-0.6:*]
set style fill solid 0.85 border -1
plot datafile index 0 using 0:(NaN):xtic(1) with points notitle, \
     for [i=2:6] datafile index 0 \
       using ($0 + (i - 4) * w):(1):($0 + (i - 4.5) * w):($0 + (i - 3.5) * w):(1):(column(i)) \
       with boxxyerror lc i-1 title columnhead(i), \
     1 with lines lc rgb "black" lw 2 notitle
unset xrange

# 2: targets, measured / allowed: a bar at or below 1 passes.
set title "Targets: measured ratio / allowed ratio (at or below the line: PASS)"
set logscale y 10
set yrange [0.1:10]
set ytics ("0.1" 0.1, "0.3" 0.3, "1" 1, "3" 3, "10" 10)
set clip one
set ylabel "measured / allowed"
set style fill solid 0.85 border -1
unset key
set boxwidth 0.6
set xrange [-0.7:*]
plot datafile index 1 \
       using 0:(1):($0 - 0.3):($0 + 0.3):(1):2:($2 <= 1 ? 0x2ca02c : 0xd62728):xtic(1) \
       with boxxyerror lc rgb variable notitle, \
     datafile index 1 using 0:($2 >= 1 ? $2 * 1.15 : $2 / 1.15):(sprintf("%.2fx (limit %gx)", $3, $4)) \
       with labels notitle, \
     1 with lines lc rgb "black" lw 2 notitle
unset xrange

# 3: thread scaling (wall clock and the CPU-time estimate).
set title "Scaling from 1 to N threads (wall clock, and CPU-time estimates, which a busy machine disturbs less; clipped at 4).  Target line: 1.8"
unset logscale y
set yrange [0:4]
set ytics auto
set ylabel "throughput(N) / throughput(1)"
set key outside right top autotitle columnhead
set boxwidth 0.9
plot for [i=2:6] datafile index 2 using i:xtic(1) lc i-1, \
     1.8 with lines lc rgb "black" lw 2 dt 2 notitle

unset multiplot
