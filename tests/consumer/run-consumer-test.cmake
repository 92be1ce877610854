# The embedding test (ctest `embedding_consumer`): installs the build tree into a scratch
# prefix, then configures, builds and runs tests/consumer against that prefix only.
#   cmake -DSOURCE_DIR=<source> -DBINARY_DIR=<build> -P tests/consumer/run-consumer-test.cmake
foreach(var SOURCE_DIR BINARY_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run-consumer-test.cmake: -D${var}=... is required")
  endif()
endforeach()

set(work ${BINARY_DIR}/consumer-test)
set(prefix ${work}/prefix)
file(REMOVE_RECURSE ${work})

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer test: ${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "consumer test: ${what}: ok")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

step("install into ${prefix}" ${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${prefix})
foreach(f include/gremlins/runtime/runtime.hpp include/gremlins/messages/pool_config.hpp
          include/gremlins/actors/batch_scheduler.hpp lib/cmake/GremlinActors/GremlinActorsConfig.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "consumer test: the install lacks ${f}")
  endif()
endforeach()

set(generator)
find_program(NINJA ninja)
if(NINJA)
  set(generator -G Ninja)
endif()
# Only the scratch prefix is searched, so a package installed elsewhere cannot stand in.
step("configure" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${work}/build ${generator}
     -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
     -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
step("build" ${CMAKE_COMMAND} --build ${work}/build)
step("run" ${work}/build/gremlins_consumer)
message(STATUS "${step_output}")
if(NOT step_output MATCHES "consumer: OK")
  message(FATAL_ERROR "consumer test: the consumer did not report OK")
endif()
