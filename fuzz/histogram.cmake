anvil_fuzz_target(histogram_log_fuzz
  SOURCE ${CMAKE_CURRENT_LIST_DIR}/histogram_log_fuzz.cpp
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/histogram_log
  LIBS anvil_metrics)
