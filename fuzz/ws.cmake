anvil_fuzz_target(ws_frame_fuzz
  SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/ws_frame_fuzz.cpp
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/ws_frame
  LIBS anvil_ws)
