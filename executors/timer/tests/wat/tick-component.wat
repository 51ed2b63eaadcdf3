;; A timer guest as a Wasm component: it exports `handle-timer-request: func()` and every run
;; writes one line, "tick", to stdout through wasi:cli/stdout (WASI preview 2).
(component
  (import "wasi:io/error@0.2.0" (instance $io-error
    (export "error" (type (sub resource)))))
  (alias export $io-error "error" (type $error))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (export "output-stream" (type $output-stream (sub resource)))
    (alias outer 1 $error (type $outer-error))
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

  (core module $memory-module (memory (export "memory") 1))
  (core instance $memory-instance (instantiate $memory-module))
  (alias core export $memory-instance "memory" (core memory $memory))
  (core func $get-stdout (canon lower (func $stdout "get-stdout")))
  (core func $write
    (canon lower (func $streams "[method]output-stream.blocking-write-and-flush")
      (memory $memory)))
  (core func $drop-stream (canon resource.drop $output-stream))

  (core module $timer
    (import "env" "memory" (memory 1))
    (import "host" "get-stdout" (func $get-stdout (result i32)))
    (import "host" "write" (func $write (param i32 i32 i32 i32)))
    (import "host" "drop" (func $drop (param i32)))
    (data (i32.const 16) "tick\n")
    (func (export "run")
      (local $stdout i32)
      (local.set $stdout (call $get-stdout))
      (call $write (local.get $stdout) (i32.const 16) (i32.const 5) (i32.const 32))
      (call $drop (local.get $stdout))))
  (core instance $timer-instance
    (instantiate $timer
      (with "env" (instance $memory-instance))
      (with "host" (instance
        (export "get-stdout" (func $get-stdout))
        (export "write" (func $write))
        (export "drop" (func $drop-stream))))))
  (func (export "handle-timer-request") (canon lift (core func $timer-instance "run"))))
