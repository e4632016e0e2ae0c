# SPDX-License-Identifier: BSD-3-Clause
#
# sqlite_plot.gp -- draw bench/out/sqlite_plot.dat (written by
# sqlite_bench): how many times faster SQLite runs through the libdaxfs
# VFS than through the unix VFS on tmpfs and on the loop-mounted image.
if (!exists("datafile")) datafile = 'bench/out/sqlite_plot.dat'
if (!exists("outfile")) outfile = 'bench/out/sqlite.png'
if (!exists("subtitle")) subtitle = ''

set terminal pngcairo size 1100,600 font "Sans,11" noenhanced
set output outfile
set title "SQLite: libdaxfs VFS speed / unix VFS speed ".subtitle
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set logscale y 10
set yrange [0.3:*]
set ylabel "times faster (log)"
set key top left autotitle columnhead
plot datafile using 2:xtic(1), '' using 3, 1 with lines lc rgb "black" lw 2 notitle
