anvil_benchmark(response_parser_bench ${CMAKE_CURRENT_SOURCE_DIR}/response_parser_bench.cpp
                anvil_http)
anvil_benchmark(request_parser_bench ${CMAKE_CURRENT_SOURCE_DIR}/request_parser_bench.cpp anvil_http)
