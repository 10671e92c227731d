# AaCuda.cmake — find nvcc and define the gencode flags used for autoassign-native's kernels.
#
# Sets:
#   AA_NVCC               path of nvcc, or empty when none is found (the CUDA targets are then skipped)
#   AA_NVCC_VERSION       e.g. 13.0
#   AA_FATBIN_GENCODE     gencode flags of the Java-loaded fatbin (sm_80, sm_90 SASS + compute_90 PTX)
#   AA_CUDA_ARCH          arch of the native executables/library (default: sm_90; override -DAA_CUDA_ARCH=sm_80)
# Search order for nvcc: -DAA_NVCC=..., $CUDACXX, $CUDA_HOME/bin, PATH, /usr/local/cuda/bin.

set(AA_CUDA_ARCH "sm_90" CACHE STRING "arch for native CUDA executables (gpu_check, libaa_kernels)")
set(AA_FATBIN_GENCODE
    -gencode arch=compute_80,code=sm_80
    -gencode arch=compute_90,code=sm_90
    -gencode arch=compute_90,code=compute_90
    CACHE STRING "gencode flags of aa_kernels.fatbin")

if(NOT AA_NVCC)
  set(_aa_hints)
  if(DEFINED ENV{CUDACXX})
    get_filename_component(_d "$ENV{CUDACXX}" DIRECTORY)
    list(APPEND _aa_hints "${_d}")
  endif()
  if(DEFINED ENV{CUDA_HOME})
    list(APPEND _aa_hints "$ENV{CUDA_HOME}/bin")
  endif()
  find_program(AA_NVCC_FOUND nvcc HINTS ${_aa_hints} PATHS /usr/local/cuda/bin)
  if(AA_NVCC_FOUND)
    set(AA_NVCC "${AA_NVCC_FOUND}")
  else()
    set(AA_NVCC "")
  endif()
endif()

if(AA_NVCC)
  execute_process(COMMAND "${AA_NVCC}" --version OUTPUT_VARIABLE _aa_v ERROR_QUIET)
  string(REGEX MATCH "release ([0-9]+\\.[0-9]+)" _aa_m "${_aa_v}")
  set(AA_NVCC_VERSION "${CMAKE_MATCH_1}")
  message(STATUS "autoassign-native: nvcc ${AA_NVCC_VERSION} at ${AA_NVCC}")
else()
  message(STATUS "autoassign-native: nvcc not found - CUDA fatbin/library/gpu_check are skipped (host tests still build)")
endif()
