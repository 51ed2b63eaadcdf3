;; A cron guest as a Wasm component of the plugin's world `fermyon:spin-cron/spin-cron@2.0.0`
;; (cron.wit of spin-trigger-cron): it exports
;;   handle-cron-event: func(metadata: metadata) -> result<_, error>
;; with `metadata` and `error` from the imported `fermyon:spin-cron/cron-types@2.0.0`, as a
;; guest built with the plugin's SDK does. Every run writes "cron <metadata.timestamp>" to
;; stdout through wasi:cli/stdout. The behaviour is the constant marked MODE below (the tests
;; substitute it): 0 returns ok; 1 returns error other("no luck"); 2 writes "start", spins on
;; the monotonic clock for 1 s, writes "end" and returns ok.
(component
  (import "wasi:io/error@0.2.0" (instance $io-error
    (export "error" (type (sub resource)))))
  (alias export $io-error "error" (type $io-err))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (export "output-stream" (type $output-stream (sub resource)))
    (alias outer 1 $io-err (type $outer-error))
    (export "error" (type $error' (eq $outer-error)))
    (type $stream-error' (variant (case "last-operation-failed" (own $error')) (case "closed")))
    (export "stream-error" (type $stream-error (eq $stream-error')))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $output-stream)) (param "contents" (list u8))
        (result (result (error $stream-error)))))))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer 1 $output-stream (type $outer-stream))
    (export "output-stream" (type $output-stream' (eq $outer-stream)))
    (export "get-stdout" (func (result (own $output-stream'))))))
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
    (export "now" (func (result u64)))))
  (import "fermyon:spin-cron/cron-types@2.0.0" (instance $types
    (type $metadata' (record (field "timestamp" u64)))
    (export "metadata" (type $metadata (eq $metadata')))
    (type $error' (variant (case "other" string)))
    (export "error" (type $error (eq $error')))))
  (alias export $types "metadata" (type $metadata))
  (alias export $types "error" (type $error))

  (core module $memory-module (memory (export "memory") 1))
  (core instance $memory-instance (instantiate $memory-module))
  (alias core export $memory-instance "memory" (core memory $memory))
  (core func $get-stdout (canon lower (func $stdout "get-stdout")))
  (core func $write
    (canon lower (func $streams "[method]output-stream.blocking-write-and-flush")
      (memory $memory)))
  (core func $drop-stream (canon resource.drop $output-stream))
  (core func $now (canon lower (func $clock "now")))

  (core module $cron
    (import "env" "memory" (memory 1))
    (import "host" "get-stdout" (func $get-stdout (result i32)))
    (import "host" "write" (func $write (param i32 i32 i32 i32)))
    (import "host" "drop" (func $drop (param i32)))
    (import "host" "now" (func $now (result i64)))
    (global $mode i32 (i32.const 0)) ;; MODE
    (data (i32.const 16) "cron ")
    (data (i32.const 32) "no luck")
    (data (i32.const 48) "start\n")
    (data (i32.const 56) "end\n")
    ;; Writes `len` bytes at `at` to stdout.
    (func $print (param $at i32) (param $len i32)
      (local $stdout i32)
      (local.set $stdout (call $get-stdout))
      (call $write (local.get $stdout) (local.get $at) (local.get $len) (i32.const 512))
      (call $drop (local.get $stdout)))
    ;; "cron <ts>\n": the digits are written backwards, ending at 127.
    (func $print-timestamp (param $ts i64)
      (local $at i32)
      (local.set $at (i32.const 127))
      (i32.store8 (local.get $at) (i32.const 10))
      (loop $digits
        (local.set $at (i32.sub (local.get $at) (i32.const 1)))
        (i32.store8 (local.get $at)
          (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $ts) (i64.const 10)))))
        (local.set $ts (i64.div_u (local.get $ts) (i64.const 10)))
        (br_if $digits (i64.ne (local.get $ts) (i64.const 0))))
      (local.set $at (i32.sub (local.get $at) (i32.const 5)))
      (memory.copy (local.get $at) (i32.const 16) (i32.const 5))
      (call $print (local.get $at) (i32.sub (i32.const 128) (local.get $at))))
    (func $spin-one-second
      (local $until i64)
      (local.set $until (i64.add (call $now) (i64.const 1000000000)))
      (loop $wait (br_if $wait (i64.lt_u (call $now) (local.get $until)))))
    ;; The result lives at 256: case at +0 (0 ok, 1 error); the error's case at +4 (0 = other),
    ;; its string's pointer at +8 and length at +12.
    (func (export "handle-cron-event") (param $ts i64) (result i32)
      (call $print-timestamp (local.get $ts))
      (i32.store8 (i32.const 256) (i32.const 0))
      (if (i32.eq (global.get $mode) (i32.const 1))
        (then
          (i32.store8 (i32.const 256) (i32.const 1))
          (i32.store8 (i32.const 260) (i32.const 0))
          (i32.store (i32.const 264) (i32.const 32))
          (i32.store (i32.const 268) (i32.const 7))))
      (if (i32.eq (global.get $mode) (i32.const 2))
        (then
          (call $print (i32.const 48) (i32.const 6))
          (call $spin-one-second)
          (call $print (i32.const 56) (i32.const 4))))
      (i32.const 256)))
  (core instance $cron-instance
    (instantiate $cron
      (with "env" (instance $memory-instance))
      (with "host" (instance
        (export "get-stdout" (func $get-stdout))
        (export "write" (func $write))
        (export "drop" (func $drop-stream))
        (export "now" (func $now))))))
  (func (export "handle-cron-event") (param "metadata" $metadata) (result (result (error $error)))
    (canon lift (core func $cron-instance "handle-cron-event") (memory $memory))))
