# The CUDA backend's build: decides TPLR_HAVE_CUDA from TPLR_CUDA (AUTO, ON,
# OFF) and, when on, builds src/kernels/cuda/*.cu into the static library
# tplr_cuda_kernels for Hopper (sm_90), linked with the static CUDA runtime
# (cuBLASLt is opened at run time), and add_cuda_plugin() builds the plugin
# libtplr_cuda.so beside tplr: those kernels, the C side (src/*/*_cuda.c) and
# the table tplr opens with dlopen (tplr/cuda_plugin.h). tplr itself links no
# CUDA library: the runtime's thread-local storage would overflow civetweb's
# 100 KiB worker stacks in the servers (docs/engine.md, "CUDA backend").
set(TPLR_HAVE_CUDA OFF)
if(NOT TPLR_CUDA MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "TPLR_CUDA must be AUTO, ON or OFF (got ${TPLR_CUDA})")
endif()
if(NOT TPLR_CUDA STREQUAL "OFF")
  # ON also looks in the toolkit's usual place, for shells whose PATH lacks
  # it; AUTO goes by PATH (or $CUDACXX) alone, so a PATH without nvcc builds
  # the CPU engine only.
  if(TPLR_CUDA STREQUAL "ON" AND NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX}
     AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(TPLR_HAVE_CUDA ON)
  elseif(TPLR_CUDA STREQUAL "ON")
    message(FATAL_ERROR "TPLR_CUDA=ON but no CUDA compiler (nvcc) was found: install the CUDA toolkit, "
                        "put nvcc on PATH (or set CUDACXX), or configure with -DTPLR_CUDA=OFF")
  else()
    message(STATUS "tplr: no CUDA compiler found, building the CPU engine only")
  endif()
endif()

if(TPLR_HAVE_CUDA)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 90)
  endif()
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  set(CMAKE_CUDA_FLAGS_RELEASE "-O3")
  set(CMAKE_CUDA_FLAGS_RELWITHDEBINFO "-O2 -g -lineinfo")
  file(GLOB TPLR_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/kernels/cuda/*.cu)
  add_library(tplr_cuda_kernels STATIC ${TPLR_CUDA_SOURCES})
  target_include_directories(tplr_cuda_kernels PUBLIC ${CMAKE_SOURCE_DIR}/include)
  # No fast-math: the fp32 mode is checked against the CPU engine to ~1e-5.
  target_compile_options(tplr_cuda_kernels PRIVATE -Xcompiler=-Wall,-Wextra)
  if(TPLR_WERROR)
    target_compile_options(tplr_cuda_kernels PRIVATE --Werror=all-warnings)
  endif()
  set_target_properties(tplr_cuda_kernels PROPERTIES POSITION_INDEPENDENT_CODE ON)
  # cuBLASLt is opened with dlopen (src/kernels/cuda/cublaslt.cu), not linked:
  # its static TLS would otherwise weigh on every thread of the process.
  target_link_libraries(tplr_cuda_kernels PUBLIC CUDA::cudart_static ${CMAKE_DL_LIBS})
  message(STATUS "tplr: CUDA backend on (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES})")
endif()

# libtplr_cuda.so beside tplr (call after tplr and TPLR_CUDA_C_SOURCES exist).
# Its engine symbols stay undefined here and resolve from tplr at dlopen.
function(add_cuda_plugin)
  add_library(tplr_cuda MODULE ${TPLR_CUDA_C_SOURCES})
  target_link_libraries(tplr_cuda PRIVATE tplr_cuda_kernels)
  set_target_properties(tplr_cuda PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
  add_dependencies(tplr tplr_cuda)
  install(TARGETS tplr_cuda LIBRARY DESTINATION bin)
endfunction()
