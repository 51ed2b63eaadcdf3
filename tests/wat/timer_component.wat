;; A component exporting `handle-timer-request: func()` at the top level: prints "tick" to
;; stdout (WASI preview 2) on every call.
(component
  (import "wasi:io/error@0.2.0" (instance $wasi-io-error
    (export "error" (type (sub resource)))))
  (alias export $wasi-io-error "error" (type $io-error))
  (import "wasi:io/streams@0.2.0" (instance $wasi-streams
    (alias outer 1 $io-error (type $io-error))
    (export "error" (type $error (eq $io-error)))
    (export "output-stream" (type $output-stream (sub resource)))
    (type $stream-error (variant (case "last-operation-failed" (own $error)) (case "closed")))
    (export "stream-error" (type $stream-error-export (eq $stream-error)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $output-stream)) (param "contents" (list u8))
            (result (result (error $stream-error-export)))))))
  (alias export $wasi-streams "output-stream" (type $output-stream))
  (import "wasi:cli/stdout@0.2.0" (instance $wasi-stdout
    (alias outer 1 $output-stream (type $output-stream))
    (export "output-stream" (type $stream (eq $output-stream)))
    (export "get-stdout" (func (result (own $stream))))))

  (core module $Memory
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 4096))
    (func (export "realloc")
      (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
      (local $ptr i32) (local $pages i32)
      (local.set $ptr
        (i32.and (i32.sub (i32.add (global.get $heap) (local.get $align)) (i32.const 1))
                 (i32.sub (i32.const 0) (local.get $align))))
      (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
      (local.set $pages
        (i32.sub (i32.shr_u (i32.add (global.get $heap) (i32.const 65535)) (i32.const 16))
                 (memory.size)))
      (if (i32.gt_s (local.get $pages) (i32.const 0))
        (then (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1)) (then unreachable))))
      (if (local.get $old)
        (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
      (local.get $ptr)))
  (core instance $memory (instantiate $Memory))

  (core func $get-stdout (canon lower (func $wasi-stdout "get-stdout")))
  (core func $write (canon lower
    (func $wasi-streams "[method]output-stream.blocking-write-and-flush")
    (memory (core memory $memory "memory"))))

  (core module $Timer
    (import "memory" "memory" (memory 1))
    (import "wasi" "get-stdout" (func $get-stdout (result i32)))
    (import "wasi" "write" (func $write (param i32 i32 i32 i32)))
    (data (i32.const 64) "tick\n")
    (func (export "handle-timer-request")
      (call $write (call $get-stdout) (i32.const 64) (i32.const 5) (i32.const 32))))
  (core instance $timer (instantiate $Timer
    (with "memory" (instance $memory))
    (with "wasi" (instance
      (export "get-stdout" (func $get-stdout))
      (export "write" (func $write))))))

  (func $handle-timer-request (canon lift (core func $timer "handle-timer-request")))
  (export "handle-timer-request" (func $handle-timer-request))
)
