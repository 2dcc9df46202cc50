# Shared by the benchmarks that copy the demo history back in time (tools/bench-check.sh on a
# SQLite file, tools/bench-pg.sh on a PostgreSQL server). Source it, define
# `table_columns TABLE` (the table's column names, one per line, in order), then:
#   select_list TABLE [COLUMN=EXPRESSION…]   the columns of TABLE as x.column, but run_id as the
#       copy's id (m.new) and the given columns as their expressions (m is the copy map, x the
#       copied row).
select_list() {
    local table=$1 list="" column expression override
    shift
    for column in $(table_columns "$table"); do
        expression="x.$column"
        [ "$column" = run_id ] && expression="m.new"
        for override in "$@"; do
            [ "${override%%=*}" = "$column" ] && expression=${override#*=}
        done
        list="${list:+$list, }$expression"
    done
    echo "$list"
}
