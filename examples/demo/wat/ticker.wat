;; The demo's timer component: every run prints one line, "timer: tick at HH:MM:SS UTC".
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)

  ;; Scratch: an iovec at 0, the byte count written at 8, the clock reading (ns) at 16.
  ;; The line at 64, 28 bytes: its hours, minutes and seconds digits are at 79, 82 and 85.
  (data (i32.const 64) "timer: tick at 00:00:00 UTC\n")

  (func $print (param $ptr i32) (param $len i32)
    ;; fd_write may take only part of the bytes: write until all are out, or it fails.
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (br_if $done (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $done (i32.eqz (i32.load (i32.const 8))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 8))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 8))))
        (br $more))))

  (func $two_digits (param $at i32) (param $value i32)
    (i32.store8 (local.get $at)
      (i32.add (i32.const 48) (i32.div_u (local.get $value) (i32.const 10))))
    (i32.store8 (i32.add (local.get $at) (i32.const 1))
      (i32.add (i32.const 48) (i32.rem_u (local.get $value) (i32.const 10)))))

  (func (export "handle-timer-request")
    (local $seconds_today i32)
    ;; clock 0 is the realtime clock: nanoseconds since 1970.
    (drop (call $clock_time_get (i32.const 0) (i64.const 1000000000) (i32.const 16)))
    (local.set $seconds_today
      (i32.wrap_i64
        (i64.rem_u (i64.div_u (i64.load (i32.const 16)) (i64.const 1000000000))
                   (i64.const 86400))))
    (call $two_digits (i32.const 79) (i32.div_u (local.get $seconds_today) (i32.const 3600)))
    (call $two_digits (i32.const 82)
      (i32.rem_u (i32.div_u (local.get $seconds_today) (i32.const 60)) (i32.const 60)))
    (call $two_digits (i32.const 85) (i32.rem_u (local.get $seconds_today) (i32.const 60)))
    (call $print (i32.const 64) (i32.const 28))))
