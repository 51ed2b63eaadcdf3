# The orphan guard (see orphan_guard.py): run by /bin/sh with the supervisor's pipe on stdin,
# SPIN_GUARD_TOKEN (the supervisor's tree token, ending in /) and SPIN_GUARD_DIR (its private
# directory) in the environment. A shell, not Python: it costs ~0.3 MB instead of ~7 MB PSS.
trap '' INT TERM QUIT HUP USR1 USR2 PIPE
groups=' '
while IFS= read -r line; do
    case $line in
        done) exit 0 ;;
        +*) groups="$groups${line#+} " ;;
        -*)
            group=${line#-}
            case $groups in
                *" $group "*) groups="${groups%% "$group" *} ${groups#* "$group" }" ;;
            esac
            ;;
    esac
done
# End of file without `done`: the supervisor died.
for group in $groups; do
    kill -s KILL -- "-$group" 2>/dev/null
done
# Escaped descendants carry the tree token; a second pass catches what forked meanwhile.
for pass in 1 2; do
    found=$(grep -lsz "^SPIN_SUPERVISOR_TREE=$SPIN_GUARD_TOKEN" /proc/[0-9]*/environ)
    [ -n "$found" ] || break
    for file in $found; do
        pid=${file#/proc/}
        kill -s KILL "${pid%/environ}" 2>/dev/null
    done
done
rm -rf -- "$SPIN_GUARD_DIR"
