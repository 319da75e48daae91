# obp_add_present_subdirs(a b c): add each listed subdirectory that has a CMakeLists.txt.
# Lets layers land one at a time without the parent file changing.
function(obp_add_present_subdirs)
  foreach(d IN LISTS ARGN)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${d}/CMakeLists.txt)
      add_subdirectory(${d})
    endif()
  endforeach()
endfunction()
