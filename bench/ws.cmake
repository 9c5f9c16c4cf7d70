anvil_benchmark(ws_frame_bench ${CMAKE_CURRENT_SOURCE_DIR}/ws_frame_bench.cpp anvil_ws)
