# Stub Vivado commands for tests/test_zynq_vivado.py: every call is recorded (fields
# separated by \x1f, calls by \x1e) in $env(LST_STUB_LOG); files the real commands
# would write are created empty; files a command reads are checked to exist at the call.
# This checks the generated script's structure, not Vivado's behaviour.
set ::stub_log [open $::env(LST_STUB_LOG) w]
set ::stub_proj ""
proc record {args} {
    puts -nonewline $::stub_log "[join $args \x1f]\x1e"
    flush $::stub_log
}
proc stub_touch {path} {
    file mkdir [file dirname $path]
    close [open $path w]
}
foreach cmd {
    set_property update_compile_order create_bd_design apply_bd_automation
    connect_bd_intf_net connect_bd_net assign_bd_address validate_bd_design save_bd_design
    launch_runs wait_on_run open_run report_timing_summary report_utilization
} {
    proc $cmd {args} [string map [list @CMD@ $cmd] {record @CMD@ {*}$args; return ""}]
}
foreach cmd {get_bd_cells get_bd_pins get_bd_intf_pins get_bd_addr_spaces get_bd_addr_segs get_runs get_files} {
    proc $cmd {args} [string map [list @CMD@ $cmd] {record @CMD@ {*}$args; return [lindex $args end]}]
}
proc create_project {args} {
    record create_project {*}$args
    set ::stub_proj [lindex $args 1]
}
proc current_project {} { return lst }
proc current_fileset {} { return sources_1 }
proc get_board_parts {args} {
    record get_board_parts {*}$args
    if {[info exists ::env(LST_STUB_NO_BOARD)]} { return "" }
    return [lindex $args end]
}
proc add_files {args} {
    record add_files {*}$args
    foreach a $args {
        if {[string index $a 0] ne "-" && ![file exists $a]} { record MISSING_FILE $a }
    }
}
proc create_bd_cell {args} {
    record create_bd_cell {*}$args
    return [lindex $args end]
}
proc generate_target {args} {
    record generate_target {*}$args
    stub_touch [file join $::stub_proj lst.gen sources_1 bd lst hw_handoff lst.hwh]
}
proc make_wrapper {args} {
    record make_wrapper {*}$args
    set f [file join $::stub_proj lst.gen sources_1 bd lst hdl lst_wrapper.v]
    stub_touch $f
    return $f
}
proc get_property {name obj} {
    record get_property $name $obj
    switch -- $name {
        PROGRESS { return "100%" }
        SLACK { return $::env(LST_STUB_SLACK) }
        default { return "" }
    }
}
proc get_timing_paths {args} {
    record get_timing_paths {*}$args
    return path
}
proc write_bitstream {args} {
    record write_bitstream {*}$args
    stub_touch [lindex $args end]
}
if {[catch {source [lindex $argv 0]} message]} {
    record ERROR $message
    close $::stub_log
    puts stderr $message
    exit 1
}
close $::stub_log
