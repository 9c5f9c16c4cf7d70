anvil_benchmark(histogram_bench ${CMAKE_CURRENT_LIST_DIR}/histogram_bench.cpp anvil_metrics)
