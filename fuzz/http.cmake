anvil_fuzz_target(response_parser_fuzz
  SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/response_parser_fuzz.cpp
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/response_parser
  LIBS anvil_http)
anvil_fuzz_target(request_parser_fuzz SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/request_parser_fuzz.cpp CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/request_parser LIBS anvil_http)
